"""Child process for the start-up figure: import, build, first paint of the cached list, exit.

python -m benchmarks.startup_probe HOME
"""

import time

T0 = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from tiri_tui import gc_tuning  # noqa: E402
from tiri_tui.client import TiriClient  # noqa: E402
from tiri_tui.config import Settings  # noqa: E402
from tiri_tui.ui.app import TiriApp  # noqa: E402
from tiri_tui.ui.notification_list import NotificationList  # noqa: E402

T_IMPORTED = time.perf_counter()
UNREACHABLE = "http://127.0.0.1:1"


async def main(home: Path) -> None:
    client = TiriClient(Settings(server=UNREACHABLE, home=home))
    gc_tuning.tune()  # as the entry point does
    app = TiriApp(client, bell=False, first_load_done=gc_tuning.freeze_survivors)
    original = NotificationList.render_line

    def render_line(self, y):  # type: ignore[no-untyped-def]
        strip = original(self, y)
        if len(self.source) and y == self.scrollable_content_region.height - 1:
            NotificationList.render_line = original
            painted = time.perf_counter()
            print(
                json.dumps(
                    {
                        "imports_s": T_IMPORTED - T0,
                        "imported_to_paint_s": painted - T_IMPORTED,
                        "rows": len(self.source),
                    }
                ),
                flush=True,
            )
            app.exit()
        return strip

    NotificationList.render_line = render_line
    try:
        await app.run_async(headless=True, size=(120, 40))
    finally:
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
