"""What the Music Bot shows: the now-playing controller and the queue's pages."""
