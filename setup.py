"""The wheel carries compiled catalogs: the .po files of src/union_saas/*/translations are compiled to .mo
as the package is built (in a checkout, ``make translations`` compiles them in place)."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path(self.build_lib).glob("union_saas/*/translations/*/LC_MESSAGES/messages.po"):
            with po.open("rb") as source:
                catalog = read_po(source)
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildWithCatalogs})
