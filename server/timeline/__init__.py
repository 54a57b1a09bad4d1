"""A record's case history in words (责任倒查): `GET /api/records/{collection}/{id}/timeline`."""
