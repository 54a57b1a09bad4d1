"""Safety volunteers (平安志愿者): invites, the `reports` collection (随手拍) and points by rule."""
