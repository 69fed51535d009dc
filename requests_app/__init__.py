"""Media requests: what household members ask for, and the flow that fulfils them."""
