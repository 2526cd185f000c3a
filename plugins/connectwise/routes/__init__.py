"""The plugin's routes: ``/cw/members``, ``/cw/callback/...`` and ConnectWise views of companies."""
