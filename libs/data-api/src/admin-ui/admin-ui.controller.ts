import { randomBytes } from 'node:crypto';
import { Controller, Get, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminUiAssets } from './admin-ui.assets.js';
import { adminPageCsp } from './admin-ui.page.js';

/** Headers every admin UI response carries. */
const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * `GET /admin`: GraphiQL over this node's data API, from local assets only (SPEC §10). Keys are
 * typed into GraphiQL's headers editor by the user and never reach the server except as request
 * headers of `/query`. With `ADMIN_UI=false` every route here answers 404.
 */
@Controller('admin')
export class AdminUiController {
  constructor(@Inject(AdminUiAssets) private readonly assets: AdminUiAssets) {}

  @Get()
  page(@Res() reply: FastifyReply): void {
    if (!this.assets.enabled) throw new NotFoundException();
    const nonce = randomBytes(16).toString('base64');
    void reply
      .headers({
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': adminPageCsp(nonce),
        'x-frame-options': 'DENY',
        'cross-origin-opener-policy': 'same-origin',
        // Small, and it names the current asset versions: always revalidate.
        'cache-control': 'no-cache',
      })
      .send(this.assets.page(nonce));
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const asset = this.assets.enabled ? this.assets.get(name) : undefined;
    if (!asset) throw new NotFoundException();
    const etag = `"${asset.version}"`;
    void reply.headers({
      ...COMMON_HEADERS,
      'content-type': asset.type,
      etag,
      // The page links each asset with its content hash (`?v=`), so a changed asset is a new URL.
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
    });
    const known = req.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//, ''));
    if (known?.includes(etag)) {
      void reply.status(304).send();
      return;
    }
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      void reply.header('content-encoding', 'gzip').send(asset.gzip);
      return;
    }
    void reply.send(asset.body);
  }
}
