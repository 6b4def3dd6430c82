import { invalid } from './private/errors';
import { checkCloudName } from './private/inputs';

/**
 * The Glance image servers boot from: any cloud image with cloud-init, systemd and apt
 * (Ubuntu 22.04/24.04, Debian 12).
 */
export class Image {
  /** An image by name; Nova resolves it when the server is created. */
  static fromName(name: string): Image {
    checkCloudName('Image.fromName', 'name', name, 'Use the name `openstack image list` shows.');
    return new Image(name, undefined);
  }

  /** An image by its UUID. */
  static fromId(id: string): Image {
    if (typeof id !== 'string' || !/^[0-9a-fA-F-]{32,36}$/.test(id)) {
      throw invalid(
        'Image.fromId',
        'id must be an image UUID',
        id,
        'Use the ID `openstack image list` shows, or Image.fromName.',
      );
    }
    return new Image(undefined, id);
  }

  private constructor(
    readonly name: string | undefined,
    readonly id: string | undefined,
  ) {}
}
