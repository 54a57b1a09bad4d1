"""Disputes (矛盾纠纷) and the visits recorded on them."""
