"""Message catalogs (gettext ``.po``), one folder per language."""
