/**
 * Every column that holds personal data protected by the personal-data key: lookup hashes are
 * wrapped under the new key, ciphertexts re-encrypted. A table that gains such a column belongs here,
 * or a rotation would finish with values only the retired key can read.
 */
export interface ProtectedTable {
	table: string;
	hashes: string[];
	ciphers: string[];
}

export const PROTECTED_TABLES: readonly ProtectedTable[] = [
	{ table: 'resident', hashes: ['doc_hash', 'phone_hash'], ciphers: ['doc_enc', 'phone_enc'] },
	{ table: 'staff', hashes: ['phone_hash'], ciphers: ['phone_enc'] },
	{ table: 'volunteer', hashes: ['phone_hash'], ciphers: ['phone_enc'] },
	{ table: 'incident', hashes: ['reporter_phone_hash', 'payload_hash'], ciphers: ['reporter_phone_enc', 'reporter_email_enc'] },
];
