// The live page and the execution page: server-sent events in, DOM out, no polling.
// The admin token is asked once (an in-page dialog) and kept in this tab's sessionStorage.
"use strict";

const TOKEN_KEY = "queue-admin-token";
const ACTIONS = { pause: ["running"], resume: ["paused"], stop: ["running", "paused"] };
const $ = (id) => document.getElementById(id);

function text(value, digits) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && digits !== undefined) return value.toFixed(digits);
  return String(value);
}

function percent(rate) {
  return rate === null || rate === undefined ? "" : (100 * rate).toFixed(1) + " %";
}

function element(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children || []) node.append(child);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

// The launch rate (solid) against the budget (dashed), one point per 5 s.
function chart(history, width, height) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const all = history.rate.concat(history.budget);
  const top = Math.max(0.1, ...all) * 1.1;
  const points = (values) =>
    (values.length === 1 ? [values[0], values[0]] : values)
      .map((v, i) => {
        const x = (i * (width - 2)) / Math.max(1, values.length - 1) + 1;
        return `${x.toFixed(1)},${(height - 1 - (v / top) * (height - 2)).toFixed(1)}`;
      })
      .join(" ");
  for (const [name, values] of [["budget", history.budget], ["rate", history.rate]]) {
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("class", name);
    line.setAttribute("points", points(values));
    svg.append(line);
  }
  const last = history.rate.length ? history.rate[history.rate.length - 1] : null;
  const title = document.createElementNS(SVG, "title");
  title.textContent = last === null ? "no launches yet" : `${last} launches/s`;
  svg.append(title);
  return svg;
}

function notice(message, isProblem) {
  const node = $(isProblem ? "problem" : "notice");
  node.textContent = message || "";
  node.hidden = !message;
}

function askToken() {
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) return Promise.resolve(stored);
  const dialog = $("token-dialog");
  $("token-input").value = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        const token = $("token-input").value;
        if (dialog.returnValue === "ok" && token) {
          sessionStorage.setItem(TOKEN_KEY, token);
          resolve(token);
        } else resolve(null);
      },
      { once: true },
    );
  });
}

async function control(action, id) {
  const token = await askToken();
  if (!token) return;
  const answer = await fetch(`/ui/api/executions/${encodeURIComponent(id)}/${action}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Queue-UI": "1",
      "X-Queue-Admin-Token": token,
    },
    body: JSON.stringify({ reason: "from the live page" }),
  });
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 401) sessionStorage.removeItem(TOKEN_KEY);
  if (answer.ok) notice(`${action} sent for ${id} (control entry ${body.entry_id})`);
  else notice(`${action} refused for ${id}: ${body.error || answer.status}`, true);
}

function buttons(row, allowed) {
  return Object.keys(ACTIONS).map((action) => {
    const button = element("button", { type: "button", "data-action": action }, [action]);
    button.disabled = !allowed || !ACTIONS[action].includes(row.state);
    if (!allowed) button.title = "QUEUE_ADMIN_TOKEN is not set: control actions are refused";
    button.addEventListener("click", () => control(action, row.id));
    return button;
  });
}

function rowCells(row, allowed) {
  const link = element("a", { href: `/ui/executions/${encodeURIComponent(row.id)}` }, [row.id]);
  const state = element("span", { class: row.state, title: row.reason || "" }, [row.state]);
  const rate = `${text(row.launch_rate, 2)} / ${text(row.launch_budget, 2)}`;
  return [
    element("td", {}, [link]),
    element("td", { class: "state" }, [state]),
    element("td", { "data-field": "cache_remaining" }, [text(row.cache_remaining)]),
    element("td", { "data-field": "launched" }, [text(row.launched)]),
    element("td", { "data-field": "dispositions" }, [text(row.dispositions)]),
    element("td", { "data-field": "waiting" }, [text(row.waiting)]),
    element("td", { class: "chart", title: rate }, [chart(row.history, 140, 26), rate]),
    element("td", { "data-field": "active" }, [text(row.active)]),
    element("td", { "data-field": "human_answered" }, [text(row.human_answered)]),
    element("td", { "data-field": "dial_ratio" }, [text(row.dial_ratio, 2)]),
    element("td", { "data-field": "abandon_rate" }, [percent(row.abandon_rate)]),
    element("td", { "data-field": "campaign_abandon_rate_30d" }, [
      percent(row.campaign_abandon_rate_30d),
    ]),
    element("td", { class: "controls" }, buttons(row, allowed)),
  ];
}

function connected(source, onEvent, name) {
  source.addEventListener(name, (message) => {
    $("status").className = "status live";
    $("status").textContent = `live, updated ${new Date().toLocaleTimeString()}`;
    onEvent(JSON.parse(message.data));
  });
  source.onerror = () => {
    $("status").className = "status lost";
    $("status").textContent = "connection lost, reconnecting";
  };
  return source;
}

function listPage() {
  const view = { q: "", state: "", offset: 0, size: 50, source: null, matched: 0 };
  const render = (page) => {
    notice(page.problem, true);
    view.matched = page.matched;
    const body = document.querySelector("#executions tbody");
    body.replaceChildren(
      ...page.rows.map((row) => element("tr", { "data-id": row.id }, rowCells(row, page.control))),
    );
    const last = Math.min(page.offset + page.rows.length, page.matched);
    $("range").textContent = `${page.matched ? page.offset + 1 : 0}-${last} of ${page.matched}`;
    $("states").textContent = Object.entries(page.states)
      .map(([state, count]) => `${count} ${state}`)
      .join(", ");
  };
  const connect = () => {
    if (view.source) view.source.close();
    const query = new URLSearchParams({ q: view.q, state: view.state, offset: view.offset, size: view.size });
    view.source = connected(new EventSource(`/ui/events?${query}`), render, "page");
  };
  let typing = null;
  $("q").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => { view.q = $("q").value; view.offset = 0; connect(); }, 300);
  });
  $("state").addEventListener("change", () => { view.state = $("state").value; view.offset = 0; connect(); });
  $("prev").addEventListener("click", () => { view.offset = Math.max(0, view.offset - view.size); connect(); });
  $("next").addEventListener("click", () => {
    if (view.offset + view.size < view.matched) { view.offset += view.size; connect(); }
  });
  $("filter").addEventListener("submit", (event) => event.preventDefault());
  connect();
}

function figures(row) {
  const pairs = [
    ["state", row.state], ["reason", row.reason], ["cache", text(row.cache_remaining)],
    ["claimed", text(row.claimed)], ["launched", text(row.launched)],
    ["dispositions", text(row.dispositions)], ["waiting", text(row.waiting)],
    ["in flight", text(row.active)], ["answered", text(row.human_answered)],
    ["launches/s", text(row.launch_rate, 2)], ["budget", text(row.launch_budget, 2)],
    ["dial ratio", text(row.dial_ratio, 2)], ["abandoned", percent(row.abandon_rate)],
    ["campaign", text(row.campaign_id)], ["campaign 30 d", percent(row.campaign_abandon_rate_30d)],
  ];
  return pairs.flatMap(([name, value]) => [element("dt", {}, [name]), element("dd", { "data-field": name }, [value || ""])]);
}

function executionPage() {
  const id = decodeURIComponent(location.pathname.split("/").pop());
  $("title").textContent = id;
  document.title = `Queue service: ${id}`;
  const render = (detail) => {
    notice(detail.problem || (detail.missing ? `no execution ${detail.missing}: never started` : ""), true);
    if (!detail.execution) return;
    const row = detail.execution;
    $("figures").replaceChildren(...figures(row));
    $("chart").replaceChildren(chart(row.history, 360, 80));
    $("controls").replaceChildren(...buttons(row, detail.control));
    document.querySelector("#breakdown tbody").replaceChildren(
      ...Object.entries(detail.breakdown).map(([status, count]) =>
        element("tr", {}, [element("td", {}, [status]), element("td", {}, [String(count)])])),
    );
    $("scanned").textContent = `among the newest ${detail.scanned} entries of the dispositions stream`;
    document.querySelector("#dispositions tbody").replaceChildren(
      ...detail.dispositions.map((d) => element("tr", {}, [
        d.record_id, d.status, d.attempt, d.final, d.answered_by, d.duration_s, d.abandoned, d.ended_at,
      ].map((value) => element("td", {}, [text(value)])))),
    );
  };
  connected(new EventSource(`/ui/executions/${encodeURIComponent(id)}/events`), render, "execution");
}

if ($("executions")) listPage();
else executionPage();
