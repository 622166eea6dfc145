"""The Store Setup Wizard, and the field groups it shares with the Settings dialog."""
