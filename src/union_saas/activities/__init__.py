"""Activities: publish across the tree, sign up with capacity and waitlist, check in, remember, measure."""
