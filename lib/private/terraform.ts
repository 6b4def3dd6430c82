/**
 * Makes literal text safe inside a Terraform string: `${` and `%{` start interpolations and
 * directives there, so literal ones are doubled. cdktf tokens (which render as
 * `${TfToken[...]}` until synth resolves them) are left alone, so references still work.
 */
export function escapeTerraformTemplate(text: string): string {
  // A function replacement: in a replacement *string*, `$$` would collapse to `$`.
  return text.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}
