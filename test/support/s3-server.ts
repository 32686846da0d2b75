import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

// s3rver (npm, pure JS) is an S3-protocol server on loopback. It checks that a request's access
// key id is registered but does not verify V4 signatures: a wrong *secret* goes unnoticed, a
// wrong or revoked *key id* is refused with 403 InvalidAccessKeyId.
const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
interface Account {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

export class TestS3Server {
  private server: S3rverInstance | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'muninn-s3rver-'));
  endpoint = '';
  private admin: S3Client | undefined;

  constructor(private readonly buckets: string[]) {}

  async start(): Promise<this> {
    const S3rver = require('s3rver') as S3rverClass;
    this.server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: this.dir,
      configureBuckets: this.buckets.map((name) => ({ name })),
    });
    const { port } = await this.server.run();
    this.endpoint = `127.0.0.1:${port}`;
    // s3rver's own built-in key pair, used only by the test to write objects.
    this.admin = new S3Client({
      region: 'us-east-1',
      endpoint: `http://${this.endpoint}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    return this;
  }

  private get account(): Account {
    return (require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: Account }).DUMMY_ACCOUNT;
  }

  addKey(accessKeyId: string, secret: string): void {
    this.account.createKeyPair(accessKeyId, secret);
  }

  revokeKey(accessKeyId: string): void {
    this.account.revokeAccessKey(accessKeyId);
  }

  /** Writes an object; answers its ETag. */
  async put(bucket: string, key: string, body: string | Buffer): Promise<string> {
    const res = await this.admin!.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return res.ETag ?? '';
  }

  async stop(): Promise<void> {
    this.admin?.destroy();
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
