package spectra

// ELNSignedContent is the exact content an ELN signature covers: the title,
// a blank line, and the Markdown body, byte for byte. Its SHA-256 is what a
// signature stores, and what the manifest re-checks.
func ELNSignedContent(title, body string) []byte {
	return []byte(title + "\n\n" + body)
}
