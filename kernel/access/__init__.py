"""Who may do what in a community: the rules (``rules``) and the local read model they run on
(``readmodel``: ``may(db, actor, action, space_id)``), fed by the spaces service's events."""
