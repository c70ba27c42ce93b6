"""The durable local queue (outbox) and its MQTT uploader."""
