"""The stack (DESIGN.md section 3): status update records waiting for their cart, and the stack
controllers that deliver them.

queue: claim and fenced settle (the controller's side); controllers: registry and heartbeats;
election: the Shared-mode lease; records: what operators see and do; notify: "a record was queued".
"""
