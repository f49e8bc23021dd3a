"""``python -m mockmind.cli``: the tests and benches start servers this way."""

from mockmind.cli import main

if __name__ == "__main__":
    main()
