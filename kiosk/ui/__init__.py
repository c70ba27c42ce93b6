"""The Kivy touchscreen app: screens render the flow's state and forward taps; nothing here decides."""
