"""ConnectWise PSA plugin: a real HTTP client, a simulator of a ConnectWise site, members, companies."""
