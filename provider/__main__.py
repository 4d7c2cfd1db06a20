"""Entry point of the plugin: hosts EcsTaskEventLogger with the Python SDK's component_provider_host.

The component lives in ../components (and the Lambda's code in ../handler), shared with the stack program in
the repository's root; Pulumi clones the whole repository, so they are there.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.package import serve

if __name__ == "__main__":
    serve()
