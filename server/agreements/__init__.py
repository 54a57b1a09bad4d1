"""Mediation agreements (人民调解协议书), their signatures and judicial confirmation (司法确认)."""
