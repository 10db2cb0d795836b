"""Traffic feed adapters: fetch and parse real-time feeds into plain readings (no DB)."""
