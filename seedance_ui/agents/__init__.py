"""What agents (MCP clients, scripts) can do with the studio: durable video tools on the job manager."""
