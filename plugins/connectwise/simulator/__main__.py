"""``python -m optima_connectwise.simulator``: serve a seeded simulator out of process (control it via ``/__sim__``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from .credentials import SimulatorCredentials
from .simulator import DEFAULT_CODEBASE, ConnectWiseSimulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line: address, seed, scale, codebase and the accepted keys."""
    defaults = SimulatorCredentials()
    parser = argparse.ArgumentParser(prog="python -m optima_connectwise.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8021)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--codebase", default=DEFAULT_CODEBASE)
    parser.add_argument("--company-id", default=defaults.company_id)
    parser.add_argument("--public-key", default=defaults.public_key)
    parser.add_argument("--private-key", default=defaults.private_key)
    parser.add_argument("--client-id", default=defaults.client_id)
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> ConnectWiseSimulator:
    """The simulator the arguments describe."""
    credentials = SimulatorCredentials(
        company_id=args.company_id, public_key=args.public_key, private_key=args.private_key, client_id=args.client_id
    )
    sim = ConnectWiseSimulator(seed=args.seed, scale=args.scale, credentials=credentials, codebase=args.codebase)
    sim.public_url = f"http://{args.host}:{args.port}"
    return sim


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until interrupted."""
    args = parse_args(argv)
    sim = build(args)
    print(f"ConnectWise simulator on http://{args.host}:{args.port}/{sim.codebase}apis/3.0 (company {args.company_id})")
    uvicorn.run(sim.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
