"""Each user's inbox (the `notifications` collection) and the notices that fill it."""
