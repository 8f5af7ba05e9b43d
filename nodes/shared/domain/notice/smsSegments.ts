/** How a text travels as SMS: its encoding, length in that encoding, and the parts it needs. */
export interface SmsSize {
	encoding: 'gsm7' | 'ucs2';
	/** Characters as the network counts them (UTF-16 code units for UCS-2). */
	length: number;
	segments: number;
}

// Printable ASCII and line breaks: the brief's stand-in for the GSM 7-bit alphabet. A few ASCII
// characters take two septets in GSM (^{}[]~\|), and they are counted twice.
const ASCII = /^[\n\r\x20-\x7e]*$/;
const GSM_EXTENDED = /[\^{}[\]~\\|]/g;

export function smsSize(text: string): SmsSize {
	if (ASCII.test(text)) {
		const length = text.length + (text.match(GSM_EXTENDED)?.length ?? 0);
		return { encoding: 'gsm7', length, segments: length === 0 ? 0 : length <= 160 ? 1 : Math.ceil(length / 153) };
	}
	// Chinese text goes as UCS-2; characters outside the BMP take two units, as String.length counts them
	const length = text.length;
	return { encoding: 'ucs2', length, segments: length <= 70 ? 1 : Math.ceil(length / 67) };
}
