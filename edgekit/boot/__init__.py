"""Boot images the chips' ROMs need around the firmware: the RP2040's boot2 and UF2."""
