from portability.cli import main

raise SystemExit(main())
