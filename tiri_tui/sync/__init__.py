"""What is shown: the rows held, the view, the unread count, the paging chain and the pending marks, with the executors that keep them current."""
