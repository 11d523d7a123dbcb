"""The ladder's domain: pure rules and computations over its data, with no I/O and no
presentation, so every layer above (stores, core, rendering, the CLI) can use them."""
