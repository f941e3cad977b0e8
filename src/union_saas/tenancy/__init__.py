"""The tenant tree: federations (roots) and every union below them, at any depth."""
