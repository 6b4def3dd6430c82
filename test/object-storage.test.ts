import { Testing } from 'cdktf';
import { ObjectstorageContainerV1 } from '../.gen/providers/openstack/objectstorage-container-v1';
import { EVENT_LOG_MARKER_CONTENT, SparkContainer, SparkObjectStorage } from '../lib';
import { newStack, resourcesOf } from './support/fixtures';

describe('SparkContainer and SparkObjectStorage', () => {
  it('creates a container that destroy will not empty unless asked', () => {
    const stack = newStack();
    new SparkContainer(stack, 'Data', { name: 'analytics-data' });
    new SparkContainer(stack, 'Scratch', { name: 'analytics-scratch', forceDestroy: true });
    const synthesized = Testing.synth(stack);
    expect(synthesized).toHaveResourceWithProperties(ObjectstorageContainerV1, {
      name: 'analytics-data',
      force_destroy: false,
    });
    expect(synthesized).toHaveResourceWithProperties(ObjectstorageContainerV1, {
      name: 'analytics-scratch',
      force_destroy: true,
    });
  });

  it('makes an EC2 credential, keeps its secret sensitive, and marks the event-log directory', () => {
    const stack = newStack();
    const storage = new SparkObjectStorage(stack, 'S3', {
      s3Endpoint: 'https://object.example.com/',
      eventLogContainer: SparkContainer.fromName('events'),
    });
    expect(storage.s3Endpoint).toBe('https://object.example.com');
    expect(storage.s3Region).toBe('us-east-1');
    expect(storage.eventLogDir).toBe('s3a://events/spark-events/');
    const synthesized = Testing.synth(stack);
    expect(Object.keys(resourcesOf(synthesized, 'openstack_identity_ec2_credential_v3'))).toHaveLength(1);
    expect(Object.values(resourcesOf(synthesized, 'openstack_objectstorage_object_v1'))).toEqual([
      {
        container_name: 'events',
        name: 'spark-events/.keep',
        content: EVENT_LOG_MARKER_CONTENT,
        content_type: 'text/plain',
      },
    ]);
    expect(resourcesOf(synthesized, 'openstack_objectstorage_container_v1')).toEqual({});
    // The provider treats empty content as "none given" and refuses to create the object.
    expect(EVENT_LOG_MARKER_CONTENT.length).toBeGreaterThan(0);
  });

  it.each([
    ['Analytics_Data', /name must be a valid S3 bucket name/],
    ['ab', /valid S3 bucket name/],
    ['a..b', /valid S3 bucket name/],
  ])('refuses the container name %s', (name, message) => {
    expect(() => new SparkContainer(newStack(), 'C', { name })).toThrow(message);
    expect(() => SparkContainer.fromName(name)).toThrow(message);
  });

  it('refuses an S3 endpoint with a path or another scheme', () => {
    const container = SparkContainer.fromName('events');
    expect(
      () =>
        new SparkObjectStorage(newStack(), 'S3', {
          s3Endpoint: 'https://object.example.com/swift/v1',
          eventLogContainer: container,
        }),
    ).toThrow(/s3Endpoint must be an http\(s\) URL of a host \(and port\), without a path/);
    expect(
      () =>
        new SparkObjectStorage(newStack(), 'S3', {
          s3Endpoint: 'ftp://object.example.com',
          eventLogContainer: container,
        }),
    ).toThrow(/s3Endpoint/);
    expect(
      () =>
        new SparkObjectStorage(newStack(), 'S3', {
          s3Endpoint: 'https://o.example.com',
          s3Region: 'us east',
          eventLogContainer: container,
        }),
    ).toThrow(/s3Region must be a region name/);
  });
});
