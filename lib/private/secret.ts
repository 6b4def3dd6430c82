import { Fn, Token, DataResource } from 'cdktf';
import { Construct } from 'constructs';

/**
 * A random secret kept in Terraform state: 64 hex digits (244 random bits from two
 * `uuid()` calls, which use a cryptographic RNG), created once and never changed, because
 * `ignore_changes` pins the first value. Built on `terraform_data`, so it needs no extra
 * provider (hashicorp/random cannot be built from the Go module proxy).
 */
export class GeneratedSecret extends Construct {
  /** The secret, marked sensitive. */
  readonly value: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const data = new DataResource(this, 'Value', {
      input: { secret: Fn.replace(Fn.join('', [Fn.uuid(), Fn.uuid()]), '-', '') },
      lifecycle: { ignoreChanges: ['input'] },
    });
    this.value = Fn.sensitive(Token.asString(data.output.lookup('secret')));
  }
}
