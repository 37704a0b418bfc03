# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``source`` fixture's number and settings (none of them the defaults, so that a restore that
brings them over shows). A module of its own: test modules import it by name, which a conftest,
one of several with that name, cannot be.
"""

SOURCE_PHONE = "4930901820"
SOURCE_CC = "49"
SOURCE_APPLICATION = {
    "webhooks": {"url": "https://hooks.source.example/wa"},
    "callback_persist": False,
    "media": {"auto_download": ["image", "document"]},
}
SOURCE_ABOUT = "Source business: restored from a backup"
