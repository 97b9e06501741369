"""The queue's services: the loops that drive executions and contacts through the ports."""
