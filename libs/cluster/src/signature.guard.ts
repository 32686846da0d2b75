import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { CLUSTER_OPTIONS, type ClusterOptions } from './cluster-options.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './signing.js';

interface SignedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
}

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Closes `/cluster/v1/*` to everything that is not signed with CLUSTER_SECRET (401, no detail). */
@Injectable()
export class ClusterSignatureGuard implements CanActivate {
  constructor(@Inject(CLUSTER_OPTIONS) private readonly options: ClusterOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<SignedRequest>();
    const ok = verifySignature(this.options.secret, {
      method: req.method,
      path: req.url,
      timestamp: header(req, TIMESTAMP_HEADER),
      signature: header(req, SIGNATURE_HEADER),
      body: req.rawBody,
    });
    if (!ok) throw new UnauthorizedException();
    return true;
  }
}
