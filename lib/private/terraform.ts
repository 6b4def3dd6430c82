/**
 * Makes literal text safe inside a Terraform string: `${` and `%{` start interpolations and
 * directives there, so literal ones are doubled. cdktf tokens (which render as
 * `${TfToken[...]}` until synth resolves them) are left alone, so references still work.
 */
export function escapeTerraformTemplate(text: string): string {
  // A function replacement: in a replacement *string*, `$$` would collapse to `$`.
  return text.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * A Terraform expression that gzips `template` (already escaped with escapeTerraformTemplate)
 * and base64-encodes it: `${base64gzip("...")}`. Terraform compresses at apply, so the bytes do
 * not depend on the Node.js that synthesizes. The template becomes a quoted HCL string (with
 * HCL's escapes); references inside it stay references.
 */
export function base64GzipExpression(template: string): string {
  const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  // Control characters: a quoted HCL string takes none raw.
  const quoted = template.replace(
    // eslint-disable-next-line no-control-regex
    /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `\${base64gzip("${quoted}")}`;
}
