import { Testing } from 'cdktf';
// Brings in the type declarations of cdktf's jest matchers.
import 'cdktf/lib/testing/adapters/jest';

// Adds cdktf's matchers (toHaveResourceWithProperties, toBeValidTerraform, ...).
Testing.setupJest();
