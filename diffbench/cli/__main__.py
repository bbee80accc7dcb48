"""``python -m diffbench.cli``: the ``diffbench`` command without its entry point script."""
from .main import main

if __name__ == "__main__":
    main()
