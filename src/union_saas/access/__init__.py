"""The one policy engine: who may do what at which tenant (DESIGN.md, ideas 2 and 4)."""
