"""sop-pusatdata: the SOP of the Kabupaten Tegal data center, made executable."""

__version__ = "0.1.0"
