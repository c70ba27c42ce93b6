"""Voice: audio sources (microphone, WAV), voice activity detection, recognizers (Vosk, LiteRT) and prompts."""
