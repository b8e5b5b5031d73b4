"""The first five minutes of an incident: alarms firing, AWS Health events, recent changes."""
