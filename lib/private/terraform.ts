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
 * A Terraform expression that gzips a template and base64-encodes it: `${base64gzip("...")}`.
 * Terraform compresses at apply, so the bytes do not depend on the Node.js that synthesizes.
 * `resolvedTemplate` must hold no cdktf tokens (resolve it first: cdktf renders function
 * tokens nested in an expression without their `${}`), with literal `${` and `%{` already
 * doubled (escapeTerraformTemplate). Its literal text becomes a quoted HCL string (with HCL's
 * escapes); its `${...}` interpolations are kept as they are, quotes and all.
 */
export function base64GzipExpression(resolvedTemplate: string): string {
  const named: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  const escape = (c: string) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  // Control characters: a quoted HCL string takes none raw.
  // eslint-disable-next-line no-control-regex
  const special = /[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
  const text = resolvedTemplate;
  let out = '';
  for (let i = 0; i < text.length;) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) {
      out += text.slice(i, i + 3);
      i += 3;
    } else if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      // An interpolation (or directive): copied whole, up to its matching brace.
      let depth = 0;
      let quoted = false;
      let j = i + 1;
      for (; j < text.length; j++) {
        const c = text[j];
        if (quoted && c === '\\') j++;
        else if (c === '"') quoted = !quoted;
        else if (!quoted && c === '{') depth++;
        else if (!quoted && c === '}' && --depth === 0) break;
      }
      if (j >= text.length) throw new Error(`base64GzipExpression: an interpolation at ${i} is not closed`);
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      const c = text[i++];
      out += special.test(c) ? escape(c) : c;
    }
  }
  return `\${base64gzip("${out}")}`;
}
