"""The SharinPix Image API under `/api/v1`: one module per resource, one guard for all."""
