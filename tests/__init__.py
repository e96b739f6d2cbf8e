"""The tests of sop-pusatdata (unit, component, integration) and their shared helpers."""
