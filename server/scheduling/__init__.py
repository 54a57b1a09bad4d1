"""Scheduled jobs: the runner; the jobs themselves live with their domains (`CollectionSpec.jobs`)."""
