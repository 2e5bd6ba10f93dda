"""One module per format we import: `recognises(item)` and `parse(item)`."""
