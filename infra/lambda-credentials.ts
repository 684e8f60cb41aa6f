// What the function bundles get for `@aws-sdk/credential-provider-node`, the SDK's default credential chain
// (infra/bundle.ts). Lambda hands every function its role's credentials in the environment, which is the chain's
// first link; the others (profiles, SSO, web identity, processes, instance metadata) are never reached there, yet
// their code and the clients they sign in with are half of a bundle's SDK code. The chain also imports them
// dynamically, which makes esbuild wrap every SDK module in a lazy initializer that V8 parses twice.
// Without credentials in the environment a call fails with the SDK's own "Unable to find environment variable
// credentials".
import { fromEnv } from "@aws-sdk/credential-provider-env";

export const defaultProvider = fromEnv;
